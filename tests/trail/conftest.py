from tests.incidents.conftest import pms_manager  # noqa: F401  (the admin-capable PMS manager)
