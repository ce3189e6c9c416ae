from .roles import Role, roles_of


def roles(request):
    """The signed-in user's roles, for showing the right navigation."""
    held = roles_of(getattr(request, "user", None))
    return {"user_roles": held, "is_pms_manager": Role.PMS_MANAGER in held}
