from django.urls import path

from . import views

app_name = "users"

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("profile/", views.ProfileUpdateView.as_view(), name="profile"),
    path("my-data/", views.MyDataView.as_view(), name="my_data"),
    path("delete/", views.AccountDeleteView.as_view(), name="account_delete"),
]
