from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Accounts and care teams"  # the admin's breadcrumbs

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in

        from common.admin_lookups import declared_lookups_everywhere
        from config.middleware import session_seen_stamp
        from users import cache

        # Admin changelists take only their declared filters (no lookup oracle). The
        # admin app (first in INSTALLED_APPS) has loaded every admin module by now.
        declared_lookups_everywhere(admin.site)

        # Admin idle expiry starts at login (config.middleware.SessionIdleMiddleware).
        user_logged_in.connect(session_seen_stamp, dispatch_uid="session_seen_stamp")
        # A token's account read from the cache by reads (users/cache.py).
        cache.connect_signals()
