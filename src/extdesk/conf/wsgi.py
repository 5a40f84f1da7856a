import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extdesk.conf.settings")

# Django's application is built (and Django set up) before the endpoint's
# modules are imported, since they read the settings.
_django = get_wsgi_application()

from extdesk.endpoint.wsgi import SoapFirst  # noqa: E402

application = SoapFirst(_django)
