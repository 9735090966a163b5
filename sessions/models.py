"""The patient side: prescribed plans and session logs (see issue 3)."""
