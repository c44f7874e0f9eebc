"""Demo data for aid: each area registers its step with portal.demo.register_step on import."""

from aid.demo import funds, identification, support  # noqa: F401
