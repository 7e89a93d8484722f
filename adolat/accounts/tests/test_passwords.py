import importlib

from django.conf import settings


def test_production_configuration_hashes_passwords_with_argon2():
    # The test suite swaps in a fast hasher (conftest); the real settings module must not.
    import adolat.settings as real

    importlib.reload(real)
    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_minimum_length_is_twelve():
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert 12 in lengths
