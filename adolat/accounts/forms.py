from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

# The one answer to any failed sign-in (unknown address, wrong password, inactive account, too
# many attempts): whoever tries learns nothing about which accounts exist. Reuse it, never reword it.
LOGIN_ERROR_MESSAGE = _("The e-mail address or the password is not correct.")


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an e-mail address; the same message whether the account exists or not."""

    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": LOGIN_ERROR_MESSAGE,
        "inactive": LOGIN_ERROR_MESSAGE,
    }


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=100,
        help_text=_("Say where it is used, e.g. “monthly statistics script”."),
    )


def normalise_code(raw: str) -> str:
    """Codes are typed with spaces or dashes and in any case; compare them without."""
    return "".join(ch for ch in raw if ch.isalnum()).lower()


class SecondFactorForm(forms.Form):
    """The second step: a code from the authenticator app or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("Enter a code."))
        return code


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])


class PasswordConfirmForm(forms.Form):
    """Asks a signed-in person for their password again."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autofocus": True, "autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self):
        from django.contrib.auth import authenticate

        password = self.cleaned_data["password"]
        user = self.request.user
        # Through authenticate(), so failed attempts count towards the lockout like any sign-in.
        if authenticate(self.request, username=user.email, password=password) != user:
            raise forms.ValidationError(_("This password is not correct."))
        return password


class EmailChangeForm(PasswordConfirmForm):
    email = forms.EmailField(
        label=_("New e-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    field_order = ["email", "password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs.pop("autofocus", None)
        self.fields["email"].widget.attrs["autofocus"] = True
