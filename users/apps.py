from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Accounts and care teams"  # the admin's breadcrumbs

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config.middleware import session_seen_stamp

        # Admin idle expiry starts at login (config.middleware.SessionIdleMiddleware).
        user_logged_in.connect(session_seen_stamp, dispatch_uid="session_seen_stamp")
