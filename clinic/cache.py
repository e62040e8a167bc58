"""Django's cache is Redis in production: what its calls raise when Redis cannot be reached.

Whatever can go on without the cache catches these and logs a warning: the rate limits count nothing
(clinic/limits.py), the availability pages are rendered for each visitor (booking/page_cache.py), and a
code to be texted is not kept, so the patient asks for another (notifications/transports.py).
"""

from redis.exceptions import RedisError

CACHE_DOWN = (RedisError, OSError)
