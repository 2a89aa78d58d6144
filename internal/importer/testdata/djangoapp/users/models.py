# The user model of the Django services authd replaces (seed documents 000 and 001).
from django.contrib.auth.models import AbstractUser
from django.db import models


class Users(AbstractUser):
    number_phone = models.CharField(max_length=10, null=True, blank=True)
    avatar = models.FileField(upload_to="avatars/", null=True, blank=True)
