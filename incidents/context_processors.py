from .roles import Role, roles_of


def roles(request):
    """The signed-in user's roles, for showing the right navigation."""
    from .trail_views import reads_whole_trail

    user = getattr(request, "user", None)
    held = roles_of(user)
    return {"user_roles": held, "is_pms_manager": Role.PMS_MANAGER in held,
            "reads_whole_trail": reads_whole_trail(user) if held else False}


def companies(request):
    """Whether the pages name companies at all (`several_companies`: never with one), and the
    header's switcher: the companies this reader may switch among and the one chosen (None:
    all of them)."""
    from .models import group_has_several_companies
    from .switcher import current_company, switchable_companies

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"several_companies": False, "company_choices": [], "current_company": None}
    several = group_has_several_companies()
    return {
        "several_companies": several,
        "company_choices": switchable_companies(user) if several else [],
        "current_company": current_company(request) if several else None,
    }
