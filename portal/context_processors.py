from .roles import role_of


def roles(request):
    """Expose the user's role (contestant, reviewer, validator, organizer) to every template. A page
    rendered before the authentication middleware ran (an upload refused for its size) has no user yet."""
    return {"user_role": role_of(getattr(request, "user", None))}
