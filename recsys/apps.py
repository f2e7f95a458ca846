from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "recsys"
    verbose_name = "Recsys"

    def ready(self) -> None:
        from recsys import signals  # noqa: F401  (connects the receivers)
