from django.apps import AppConfig


class StimsConfig(AppConfig):
    name = "stims"
    verbose_name = "Stim catalogue"
