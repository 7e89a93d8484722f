import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adolat.settings")
application = get_wsgi_application()

from adolat.lib.runtime import prepare_worker  # noqa: E402 — needs the settings configured above

prepare_worker()
