"""Input and output serializers of the sessions API, one module per resource."""

from sessions.api.serializers.logs import *  # noqa: F403
from sessions.api.serializers.plans import *  # noqa: F403
from sessions.api.serializers.progress import *  # noqa: F403
