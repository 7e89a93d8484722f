"""`adolat add-user EMAIL --organisation NAME --role ROLE`: give a person a role in an
organisation, creating the account when it does not exist yet."""

import getpass
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from adolat.accounts.models import Membership, Organisation, Role, User
from adolat.accounts.services import membership_grant, user_create

AUDIT_SOURCE = "command"


def _names(org: Organisation) -> list[str]:
    return [n for n in (org.name_en, org.name_ru, org.name_tg, org.acronym) if n.strip()]


def _describe(org: Organisation) -> str:
    name = org.name_en or org.name
    return f"{name} ({org.acronym})" if org.acronym else name


def find_organisation(query: str) -> Organisation:
    """The one organisation whose name in any language, or acronym, is `query` (ignoring case and
    spacing). Several or none is a CommandError listing the candidates: a role granted in the wrong
    organisation would open the wrong records, so nothing is guessed."""
    wanted = " ".join(query.split()).casefold()
    orgs = list(Organisation.objects.order_by("name_en", "pk"))
    exact = [o for o in orgs if any(" ".join(n.split()).casefold() == wanted for n in _names(o))]
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise CommandError(
            _('"%(query)s" names several organisations: %(candidates)s. Give another of their names.')
            % {"query": query, "candidates": "; ".join(_describe(o) for o in exact)}
        )
    partial = [o for o in orgs if any(wanted in n.casefold() for n in _names(o))]
    if partial:
        raise CommandError(
            _('No organisation is named exactly "%(query)s". Did you mean: %(candidates)s?')
            % {"query": query, "candidates": "; ".join(_describe(o) for o in partial)}
        )
    if not orgs:
        raise CommandError(
            _('No organisation is named "%(query)s", and there are none yet (adolat load-demo creates some).')
            % {"query": query}
        )
    raise CommandError(
        _('No organisation is named "%(query)s". Organisations: %(candidates)s.')
        % {"query": query, "candidates": "; ".join(_describe(o) for o in orgs)}
    )


class Command(BaseCommand):
    # Plain text: argparse cannot format a lazy translation.
    help = (
        "Give a person a role in an organisation, creating the account if needed. The password is "
        "read from a file or asked twice; it must pass the password rules (12 characters or more)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help=_("the person's e-mail address, used to sign in"))
        parser.add_argument(
            "--organisation", required=True, help=_("the organisation, by any of its names or its acronym")
        )
        parser.add_argument("--role", required=True, help=", ".join(Role.values))
        parser.add_argument("--full-name", default="", help=_("the person's name"))
        parser.add_argument(
            "--language", default="tg", choices=["tg", "ru", "en"], help=_("language of e-mails sent to them")
        )
        password = parser.add_mutually_exclusive_group()
        password.add_argument(
            "--password-file", help=_("a file whose first line is the password ('-' reads standard input)")
        )
        password.add_argument(
            "--no-password",
            action="store_true",
            help=_("create the account without a password (it cannot sign in until one is set)"),
        )

    def handle(self, *args, **options):
        role = options["role"].strip().lower()
        if role not in Role.values:
            raise CommandError(
                _('"%(role)s" is not a role. Roles: %(roles)s.')
                % {"role": options["role"], "roles": ", ".join(Role.values)}
            )
        organisation = find_organisation(options["organisation"])
        email = User.objects.normalize_email(options["email"].strip()).lower()

        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            created = user is None
            if created:
                password = None if options["no_password"] else self.read_password(options["password_file"])
                try:
                    user = user_create(
                        email=email,
                        password=password,
                        full_name=options["full_name"],
                        language=options["language"],
                        source=AUDIT_SOURCE,
                    )
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from None
            elif options["password_file"]:
                self.stderr.write(
                    _("%(email)s already exists: the password was left unchanged.") % {"email": email}
                )
            had_role = Membership.objects.filter(user=user, organisation=organisation, role=role).exists()
            membership_grant(user=user, organisation=organisation, role=role, source=AUDIT_SOURCE)

        values = {"email": email, "role": Role(role).label, "organisation": _describe(organisation)}
        if created:
            self.stdout.write(_("Created %(email)s, %(role)s in %(organisation)s.") % values)
        elif had_role:
            self.stdout.write(_("%(email)s already is %(role)s in %(organisation)s.") % values)
        else:
            self.stdout.write(_("%(email)s is now also %(role)s in %(organisation)s.") % values)

    def read_password(self, path: str | None) -> str:
        """From the file (first line), or asked twice without echo."""
        if path:
            try:
                text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    _("Cannot read the password file %(path)s: %(reason)s")
                    % {"path": path, "reason": exc.strerror}
                ) from None
            password = text.splitlines()[0] if text.splitlines() else ""
        else:
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password (again): ")):
                raise CommandError(_("The two passwords differ."))
        if not password:
            raise CommandError(_("The password is empty."))
        return password
