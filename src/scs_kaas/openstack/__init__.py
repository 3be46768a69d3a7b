"""The only place that imports openstacksdk."""
