from .roles import role_of


def roles(request):
    """Expose the user's role (contestant, reviewer, organizer) to every template."""
    return {"user_role": role_of(request.user) if request.user.is_authenticated else None}
