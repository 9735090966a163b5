"""The bare ceiling's URLconf (bench.wsgi): the ceiling view and nothing else."""

from django.urls import path

from bench.views import ceiling

urlpatterns = [path("bench/bare/<int:size>", ceiling, name="bench-bare")]
