from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The behaviour log: interaction events, recording them, trending, per-user state tokens.

    It sits below every other app and imports none of them.
    """

    name = "activity"
    verbose_name = "Activity"
