"""Pages for signing up and keeping one's own profile."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.views.generic import CreateView, UpdateView

from .forms import ProfileForm, SignupForm
from .models import Profile


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("users:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request, "Welcome! Tell us a little about yourself, or skip any question."
        )
        return response


class ProfileUpdateView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "users/profile_form.html"
    success_url = reverse_lazy("users:profile")

    def get_object(self, queryset=None) -> Profile:
        # Always the signed-in person's own profile: there is no URL for anyone else's.
        return self.request.user.profile

    def form_valid(self, form):
        messages.success(self.request, "Your profile is saved.")
        return super().form_valid(form)
