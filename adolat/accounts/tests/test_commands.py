"""`adolat load-demo` and `adolat add-user`."""

import getpass
import io
from importlib import import_module

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from adolat.accounts.models import Membership, Organisation, Role, User
from adolat.recommendations.models import Recommendation

load_demo = import_module("adolat.accounts.management.commands.load-demo")
STRONG = "granite-lantern-meadow-71"

pytestmark = pytest.mark.django_db


def call(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def totals() -> tuple[int, int, int, int]:
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Recommendation.objects.count(),
    )


# --- load-demo ----------------------------------------------------------------------------------


def test_load_demo_creates_organisations_accounts_and_published_recommendations(settings):
    settings.DEBUG = True

    out = call("load-demo")

    assert Organisation.objects.count() == len(load_demo.ORGANISATIONS) == 7
    for org in Organisation.objects.all():
        assert org.name_en and org.name_ru and org.name_tg
    assert (
        Organisation.objects.get(kind=Organisation.Kind.COORDINATING).name_en
        == "Executive Office of the President"
    )
    assert Organisation.objects.get(kind=Organisation.Kind.NHRI).name_en.startswith(
        "Human Rights Commissioner"
    )
    assert Organisation.objects.filter(kind=Organisation.Kind.CSO).count() == 1
    assert Organisation.objects.filter(kind=Organisation.Kind.INTERNATIONAL).count() == 1

    assert Recommendation.objects.published().count() == Recommendation.objects.count() == 150
    for role in Role.values:
        assert Membership.objects.filter(role=role, user__email__endswith="@adolat.demo").count() == 1, role
    # The administrator role alone opens the administration (roles are data); nobody is superuser.
    admin = User.objects.get(email="administrator@adolat.demo")
    assert admin.has_perm("recommendations.change_theme")
    assert not User.objects.filter(is_superuser=True).exists()
    assert (
        Membership.objects.get(user__email="focal.point@adolat.demo").organisation.name_en
        == "Ministry of Justice"
    )
    assert Membership.objects.get(user__email="cso@adolat.demo").organisation.kind == Organisation.Kind.CSO
    assert (
        Membership.objects.get(user__email="monitor@adolat.demo").organisation.kind == Organisation.Kind.NHRI
    )
    assert (
        Membership.objects.get(user__email="viewer@adolat.demo").organisation.kind
        == Organisation.Kind.INTERNATIONAL
    )
    for user in User.objects.all():
        assert user.check_password(load_demo.DEMO_PASSWORD)

    assert len(load_demo.DEMO_PASSWORD) >= 12
    assert load_demo.DEMO_PASSWORD in out and "http://127.0.0.1:8000/" in out
    for email, *_rest in load_demo.ACCOUNTS:
        assert email in out


def test_load_demo_twice_creates_nothing_and_keeps_what_people_changed(settings):
    settings.DEBUG = True
    call("load-demo")
    org = Organisation.objects.get(name_en="Ministry of Justice")
    org.acronym = "MoJ"
    org.save()
    user = User.objects.get(email="coordinator@adolat.demo")
    user.full_name = "Firuza Rahimova"
    user.set_password(STRONG)
    user.save()
    rec = Recommendation.objects.first()
    rec.is_published = False
    rec.save()
    before = totals()

    call("load-demo")

    assert totals() == before
    org.refresh_from_db()
    user.refresh_from_db()
    rec.refresh_from_db()
    assert org.acronym == "MoJ"
    assert user.full_name == "Firuza Rahimova" and user.check_password(STRONG)
    assert rec.is_published is False


def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    before = totals()

    with pytest.raises(CommandError, match="DEBUG"):
        call("load-demo")

    assert totals() == before


def test_load_demo_runs_without_debug_when_forced(settings):
    settings.DEBUG = False
    call("load-demo", "--force")
    assert User.objects.filter(email__endswith="@adolat.demo").count() == len(Role.values)


# --- add-user -----------------------------------------------------------------------------------


def test_add_user_creates_the_account_with_its_role(orgs, tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text(STRONG + "\n", encoding="utf-8")

    out = call(
        "add-user",
        "Nigora@Example.org",
        "--organisation",
        "министерство ЮСТИЦИИ",
        "--role",
        "focal_point",
        "--password-file",
        str(password_file),
    )

    user = User.objects.get(email="nigora@example.org")
    assert user.check_password(STRONG)
    assert list(user.memberships.values_list("organisation", "role")) == [(orgs["justice"].pk, "focal_point")]
    assert "nigora@example.org" in out


def test_add_user_asks_the_password_twice(orgs, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    call(
        "add-user", "monitor2@example.org", "--organisation", "Human Rights Commissioner", "--role", "monitor"
    )

    assert User.objects.get(email="monitor2@example.org").check_password(STRONG)


def test_add_user_refuses_two_different_passwords(orgs, monkeypatch):
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError):
        call("add-user", "x@example.org", "--organisation", "Ministry of Justice", "--role", "viewer")
    assert not User.objects.filter(email="x@example.org").exists()


def test_add_user_without_password(orgs):
    call(
        "add-user",
        "later@example.org",
        "--organisation",
        "Вазорати адлия",
        "--role",
        "viewer",
        "--no-password",
    )
    assert not User.objects.get(email="later@example.org").has_usable_password()


def test_add_user_gives_an_existing_user_another_role(users, orgs):
    before = User.objects.count()

    call(
        "add-user",
        users["monitor"].email.upper(),
        "--organisation",
        "Ministry of Justice",
        "--role",
        "viewer",
    )

    assert User.objects.count() == before
    assert set(users["monitor"].memberships.values_list("organisation", "role")) == {
        (orgs["ombudsman"].pk, "monitor"),
        (orgs["justice"].pk, "viewer"),
    }


def test_add_user_finds_the_organisation_by_acronym(orgs):
    orgs["un"].acronym = "OHCHR ROCA"
    orgs["un"].save()
    call("add-user", "un@example.org", "--organisation", "ohchr roca", "--role", "viewer", "--no-password")
    assert Membership.objects.get(user__email="un@example.org").organisation == orgs["un"]


def test_add_user_rejects_an_unknown_organisation_listing_the_candidates(orgs):
    with pytest.raises(CommandError) as failure:
        call(
            "add-user",
            "a@example.org",
            "--organisation",
            "Ministry of Magic",
            "--role",
            "viewer",
            "--no-password",
        )

    message = str(failure.value)
    assert "Ministry of Magic" in message and "Ministry of Justice" in message
    assert not User.objects.filter(email="a@example.org").exists()


def test_add_user_rejects_an_ambiguous_organisation_listing_both(orgs):
    for org in (orgs["justice"], orgs["ombudsman"]):
        org.acronym = "HQ"
        org.save()

    with pytest.raises(CommandError) as failure:
        call("add-user", "a@example.org", "--organisation", "hq", "--role", "viewer", "--no-password")

    assert "Ministry of Justice" in str(failure.value) and "Human Rights Commissioner" in str(failure.value)
    assert not User.objects.filter(email="a@example.org").exists()


def test_add_user_rejects_a_role_that_does_not_exist(orgs):
    with pytest.raises(CommandError) as failure:
        call("add-user", "a@example.org", "--organisation", "Ministry of Justice", "--role", "minister")

    for role in Role.values:
        assert role in str(failure.value)
    assert not User.objects.filter(email="a@example.org").exists()


@pytest.mark.parametrize("weak", ["short-pw", "123456789012345", "password1234"])
def test_add_user_rejects_a_weak_password(orgs, tmp_path, weak):
    password_file = tmp_path / "password"
    password_file.write_text(weak, encoding="utf-8")

    with pytest.raises(CommandError):
        call(
            "add-user",
            "weak@example.org",
            "--organisation",
            "Ministry of Justice",
            "--role",
            "viewer",
            "--password-file",
            str(password_file),
        )

    assert not User.objects.filter(email="weak@example.org").exists()
    assert not Membership.objects.filter(user__email="weak@example.org").exists()


def test_add_user_suggests_organisations_whose_name_contains_the_words(orgs):
    with pytest.raises(CommandError) as failure:
        call("add-user", "a@example.org", "--organisation", "justice", "--role", "viewer", "--no-password")
    assert "Ministry of Justice" in str(failure.value)
    assert "OHCHR" not in str(failure.value)


@pytest.mark.parametrize(
    ("app", "name"),
    [("adolat.accounts", "load-demo"), ("adolat.accounts", "add-user"), ("adolat.recommendations", "import")],
)
def test_command_help_renders(app, name):
    command = load_command_class(app, name)
    assert command.create_parser("adolat", name).format_help()
