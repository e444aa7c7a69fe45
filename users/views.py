"""Pages for signing up, keeping one's own profile, and seeing or erasing one's data."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import CreateView, FormView, TemplateView, UpdateView

from . import services
from .forms import AccountDeleteForm, ProfileForm, SignupForm
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

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "stim_search": self.request.GET.get("stim_search", "")}

    def form_valid(self, form):
        messages.success(self.request, "Your profile is saved.")
        return super().form_valid(form)


class MyDataView(LoginRequiredMixin, TemplateView):
    """What is held about the signed-in person, with ways to download or erase it."""

    template_name = "users/my_data.html"


class AccountDeleteView(LoginRequiredMixin, FormView):
    """Erasing one's own account, after saying exactly what goes and asking to confirm."""

    form_class = AccountDeleteForm
    template_name = "users/account_delete.html"

    def form_valid(self, form):
        services.account_erase(user=self.request.user)
        logout(self.request)
        messages.success(
            self.request, "Your account is deleted, with everything we held about you."
        )
        return redirect("home")
