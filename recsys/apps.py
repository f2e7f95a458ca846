from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "recsys"
    verbose_name = "Recsys"

    def ready(self) -> None:
        from accounts.selectors import user_companion_key_register
        from recsys import signals  # noqa: F401  (connects the receivers)
        from recsys.serving.store import user_state_key

        # The state token keys reused recommendations: read it with the signed-in user.
        user_companion_key_register(user_state_key)
