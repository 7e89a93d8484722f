import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adolat.settings")
application = get_asgi_application()

from adolat.lib.runtime import prepare_worker  # noqa: E402 — needs the settings configured above

prepare_worker()
