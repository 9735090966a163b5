"""Admin of the integrations app: webhook endpoints and their deliveries (admins only)."""

from integrations.admin import webhooks  # noqa: F401  (registers the ModelAdmins)
