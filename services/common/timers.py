"""A Nameko timer whose interval is a setting of the service's `config.yml`, not a number in the code.

    @timer_from_config("CHECKIN_TIMER_SECONDS")
    def watch(self): ...

Nameko's own `@timer(interval=...)` takes its interval when the class is defined, before any configuration is
read; this one reads it as the service container is set up, so the default lives in `config.yml` and the
environment can change it.
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, setting: str, eager: bool = False, **kwargs):
        self.setting = setting
        super().__init__(interval=None, eager=eager, **kwargs)

    def setup(self):
        self.interval = float(self.container.config[self.setting])
        super().setup()


timer_from_config = ConfiguredTimer.decorator
