from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "extdesk.contacts"
    verbose_name = "Contacts"
