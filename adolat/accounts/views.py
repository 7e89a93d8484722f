from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY

from . import mfa, services
from .forms import ApiTokenForm, EmailAuthenticationForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    """Step 1 of signing in: the e-mail address and the password. A person with a second factor
    continues to step 2 (views_mfa.verify); one whose role requires a second factor they have not
    set up continues to the sign-in security page (see mfa.py)."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        # A password alone never carries over a second factor given earlier in this browser.
        self.request.session.pop(DEVICE_ID_SESSION_KEY, None)
        self.request.session.pop(mfa.FACTOR_AT, None)
        response = super().form_valid(form)
        mfa.mark_password(self.request)
        step = mfa.pending_step(self.request.user)
        if step is None:
            return response
        target = reverse("accounts:mfa-verify" if step == "verify" else "accounts:security")
        return redirect(f"{target}?{urlencode({'next': self.get_success_url()})}")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def get_token_for_user(user, pk) -> ApiToken:
    """The gate for API tokens: a user manages only their own; the same 404 otherwise."""
    token = ApiToken.objects.filter(pk=pk, user=user).first() if user.is_authenticated else None
    if token is None:
        raise Http404
    return token


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's page: organisations and roles, and personal API tokens."""
    new_secret = None
    form = ApiTokenForm()
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_secret = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    memberships = request.user.memberships.select_related("organisation").order_by("organisation__name_en")
    response = render(
        request,
        "accounts/account.html",
        {
            "memberships": memberships,
            "tokens": request.user.api_tokens.all(),
            "form": form,
            "new_secret": new_secret,
        },
    )
    # The token's secret is on this page once: never keep it in a cache or the history.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoking asks for confirmation first (a GET shows the question; the POST acts)."""
    token = get_token_for_user(request.user, pk)
    if request.method == "POST":
        services.api_token_revoke(token=token, by=request.user)
        messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
        return redirect("accounts:account")
    return render(request, "accounts/token_revoke.html", {"token": token})
