"""A small research-assistant agent, written the way many tutorials write one."""
