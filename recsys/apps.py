from django.apps import AppConfig


class RecsysConfig(AppConfig):
    name = "recsys"
    verbose_name = "Recsys"

    def ready(self) -> None:
        from accounts.selectors import user_companion_key_register
        from activity.state import user_state_key
        from recsys import signals  # noqa: F401  (connects the receivers)

        # The state token keys reused recommendations: read it with the signed-in user.
        user_companion_key_register(user_state_key)
