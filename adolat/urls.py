from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from django.views.i18n import set_language


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("adolat.recommendations.urls")),
    path("accounts/", include("adolat.accounts.urls")),
    path("accounts/passkeys/", include("adolat.accounts.webauthn_urls")),
    path("follow-up/", include("adolat.followup.urls")),
    path("api/v1/", include("adolat.api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("translations/", include("rosetta.urls")),
    path("healthz", healthz, name="healthz"),
]
