from django.urls import path

from risks import views

app_name = "risks"
urlpatterns = [
    path("projects/<int:pk>/risks/", views.project_register, name="project-register"),
    path("projects/<int:pk>/risks/new/", views.risk_create, name="create"),
    path("risks/<int:pk>/edit/", views.risk_edit, name="edit"),
    path("risks/<int:pk>/close/", views.risk_close, name="close"),
    path("risks/<int:pk>/escalate/", views.risk_escalate, name="escalate"),
]
