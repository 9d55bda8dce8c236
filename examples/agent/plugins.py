"""A plugin system: tools register themselves when their class is defined."""

PLUGINS = {}
REQUIRED_ATTRS = ("name", "description")


class PluginMeta(type):
    def __new__(mcs, name, bases, namespace):
        cls = super().__new__(mcs, name, bases, namespace)
        if bases:
            for attr in REQUIRED_ATTRS:
                if attr not in namespace:
                    raise TypeError(f"plugin {name} must define {attr!r}")
            PLUGINS[namespace["name"]] = cls
            return cls


class Plugin(metaclass=PluginMeta):
    def run(self, **kwargs):
        raise NotImplementedError


class WeatherPlugin(Plugin):
    name = "weather"
    description = "Current weather for a city."

    def run(self, city):
        return f"sunny in {city}"


class NewsPlugin(Plugin):
    name = "news"

    def run(self, topic):
        return f"no news about {topic}"


class Skill:
    registry = {}

    def __init_subclass__(cls, skill_name):
        Skill.registry[skill_name] = cls


class Summarize(Skill, skill_name="summarize"):
    pass


class ModelClient:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self):
        self.history = []
        self.calls = 0
