"""`adolat load-demo`: the organisations of DOMAIN.md §7, one account per role and the 2011 UPR
recommendations to Tajikistan, so the product can be shown and tried at once."""

import base64
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

import adolat.recommendations
from adolat.accounts import mfa
from adolat.accounts.mfa_services import totp_device_create_with_key
from adolat.accounts.models import Organisation, Role, User
from adolat.accounts.services import membership_grant, organisation_create, user_create
from adolat.recommendations.importers import ImporterError, import_upr_info

AUDIT_SOURCE = "command"
DEMO_FILE = (
    Path(adolat.recommendations.__file__).resolve().parent
    / "data"
    / "demo"
    / "tajikistan-2011-upr-info-utf8.csv"
)
DEMO_COUNTRY = "TJ"
DEMO_URL = "http://127.0.0.1:8000/"
# Shared by every demo account and printed by the command: never valid outside a demo.
DEMO_PASSWORD = "tavsiya-ijro-2011"  # noqa: S105
# Accounts whose role requires a second factor (ADOLAT_MFA_REQUIRED_ROLES) get an authenticator app
# with this printed key; `adolat demo-code` shows its current code for those without an app.
DEMO_TOTP_KEY = "ADOLATDEMOTOTPKEYADOLATDEMOTOTPK"

Kind = Organisation.Kind

# key: (kind, English, Russian, Tajik, acronym). Tajik names to be reviewed by a native speaker.
ORGANISATIONS = {
    "eop": (
        Kind.COORDINATING,
        "Executive Office of the President",
        "Исполнительный аппарат Президента",
        "Дастгоҳи иҷроияи Президенти Ҷумҳурии Тоҷикистон",
        "",
    ),
    "justice": (Kind.STATE_BODY, "Ministry of Justice", "Министерство юстиции", "Вазорати адлия", ""),
    "ombudsman": (
        Kind.NHRI,
        "Human Rights Commissioner (Ombudsman)",
        "Уполномоченный по правам человека",
        "Ваколатдор оид ба ҳуқуқи инсон",
        "",
    ),
    "prosecutor": (
        Kind.STATE_BODY,
        "General Prosecutor's Office",
        "Генеральная прокуратура",
        "Прокуратураи генералӣ",
        "",
    ),
    "interior": (
        Kind.STATE_BODY,
        "Ministry of Internal Affairs",
        "Министерство внутренних дел",
        "Вазорати корҳои дохилӣ",
        "",
    ),
    "coalition": (
        Kind.CSO,
        "Coalition of Civil Society against Torture and Impunity",
        "Коалиция гражданского общества против пыток и безнаказанности",
        "Эътилофи ҷомеаи шаҳрвандӣ зидди шиканҷа ва беҷазоӣ",
        "",
    ),
    "ohchr": (
        Kind.INTERNATIONAL,
        "OHCHR Regional Office for Central Asia",
        "Региональное отделение УВКПЧ ООН для Центральной Азии",
        "Намояндагии минтақавии Дафтари Комиссари олии СММ оид ба ҳуқуқи инсон дар Осиёи Марказӣ",
        "OHCHR ROCA",
    ),
}

# (e-mail, role, organisation key, full name, language of e-mails)
ACCOUNTS = (
    ("administrator@adolat.demo", Role.ADMINISTRATOR, "eop", "Demo Administrator", "en"),
    ("coordinator@adolat.demo", Role.COORDINATOR, "eop", "Demo Coordinator", "tg"),
    ("focal.point@adolat.demo", Role.FOCAL_POINT, "justice", "Demo Focal Point", "tg"),
    ("cso@adolat.demo", Role.CSO_CONTRIBUTOR, "coalition", "Demo CSO Contributor", "ru"),
    ("monitor@adolat.demo", Role.MONITOR, "ombudsman", "Demo Monitor", "ru"),
    ("viewer@adolat.demo", Role.VIEWER, "ohchr", "Demo Viewer", "en"),
)


def demo_totp_key_hex() -> str:
    return base64.b32decode(DEMO_TOTP_KEY).hex()


def organisation_get_or_create(kind, name_en, name_ru, name_tg, acronym) -> tuple[Organisation, bool]:
    """An organisation found by any of its names is used as it is (people may have edited it);
    a missing one is created, validated and recorded."""
    for field, name in (("name_en", name_en), ("name_ru", name_ru), ("name_tg", name_tg)):
        found = name and Organisation.objects.filter(**{f"{field}__iexact": name}).order_by("pk").first()
        if found:
            return found, False
    org = organisation_create(
        kind=kind, name_en=name_en, name_ru=name_ru, name_tg=name_tg, acronym=acronym, source=AUDIT_SOURCE
    )
    return org, True


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Load demonstration data: organisations, one account per role (sharing one printed "
        "password) and the 2011 UPR recommendations to Tajikistan. Running it again adds only "
        "what is missing. Refuses to run unless DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("run even with DEBUG off (only on a throwaway instance: the password is public)"),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "load-demo creates accounts whose password is printed and published, so it runs "
                    "only with DEBUG=1. On a throwaway instance, add --force."
                )
            )
        if not DEMO_FILE.is_file():
            raise CommandError(_("The demo file is missing: %(path)s") % {"path": DEMO_FILE})

        with transaction.atomic():
            orgs, orgs_created = {}, 0
            for key, fields in ORGANISATIONS.items():
                orgs[key], created = organisation_get_or_create(*fields)
                orgs_created += created

            users_created = 0
            for email, role, org_key, full_name, language in ACCOUNTS:
                user = User.objects.filter(email__iexact=email).first()
                if user is None:
                    user = user_create(
                        email=email,
                        password=DEMO_PASSWORD,
                        full_name=full_name,
                        language=language,
                        source=AUDIT_SOURCE,
                    )
                    users_created += 1
                membership_grant(user=user, organisation=orgs[org_key], role=role, source=AUDIT_SOURCE)
                if mfa.mfa_required(user):
                    totp_device_create_with_key(user=user, key_hex=demo_totp_key_hex(), source=AUDIT_SOURCE)

            try:
                summary = import_upr_info(DEMO_FILE, country=DEMO_COUNTRY, publish=True)
            except ImporterError as exc:
                raise CommandError(str(exc)) from None
            if summary.errors:
                raise CommandError("\n".join(e["message"] for e in summary.errors))

        self.stdout.write(
            _(
                "Organisations created: %(orgs)s; accounts created: %(users)s; "
                "recommendations created: %(recs)s."
            )
            % {"orgs": orgs_created, "users": users_created, "recs": summary.created}
        )
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (e-mail, role, organisation):"))
        for email, role, org_key, _full_name, _language in ACCOUNTS:
            self.stdout.write(f"  {email:<28} {role.label!s:<28} {orgs[org_key].name}")
        self.stdout.write(_("Password of every demo account: %(password)s") % {"password": DEMO_PASSWORD})
        required = [email for email, role, *_rest in ACCOUNTS if role in settings.ADOLAT_MFA_REQUIRED_ROLES]
        if required:
            self.stdout.write(
                _(
                    "Second factor of %(accounts)s: add the key %(key)s to an authenticator app "
                    "(time-based, 6 digits, 30 seconds), or run “adolat demo-code” for the current code."
                )
                % {"accounts": ", ".join(required), "key": DEMO_TOTP_KEY}
            )
        self.stdout.write(_("Open %(url)s") % {"url": DEMO_URL})
