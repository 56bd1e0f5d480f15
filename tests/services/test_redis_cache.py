"""The Redis cache backend on the real server: one client per pool, Django's cache semantics intact."""

from django.conf import settings
from django.core.cache import caches

from jiangbei.cache import RedisCache


def test_the_configured_cache_is_redis_and_builds_its_client_once():
    assert settings.CACHES["default"]["BACKEND"] == "jiangbei.cache.FailSafeRedisCache"
    client = caches["default"]._cache
    assert client.get_client("a") is client.get_client("b")  # Django's own backend builds one per call


def test_get_set_add_incr_and_many_behave_as_djangos_backend():
    cache = RedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": "cache-test"})
    cache.clear()
    try:
        assert cache.add("key", {"a": 1}, 30) is True
        assert cache.add("key", "other", 30) is False
        assert cache.get("key") == {"a": 1}
        cache.set("count", 1, 30)
        assert cache.incr("count") == 2
        assert cache.get_many(["key", "count", "missing"]) == {"key": {"a": 1}, "count": 2}
        cache.delete_many(["key", "count"])
        assert cache.get("key", "gone") == "gone"
    finally:
        cache.clear()
