"""The editors' API of the flow watch: which articles' flows are stuck, and on what."""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import IsAdminUser

from publishing.models import FlowStep
from publishing.selectors import flow_steps_stuck
from publishing.services.flows import AWAITED


class StuckFlowFilter(django_filters.FilterSet):
    step = django_filters.ChoiceFilter(choices=FlowStep.Step.choices, help_text="Only steps of this kind.")

    class Meta:
        model = FlowStep
        fields = ["step"]


class LastEventSerializer(serializers.Serializer):
    type = serializers.CharField()
    time = serializers.DateTimeField()


class StuckFlowOutputSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="article.title")
    waiting_for = serializers.SerializerMethodField(help_text="The event the step waits for.")
    due_at = serializers.DateTimeField(help_text="Overdue since then.")
    last_event = serializers.SerializerMethodField(help_text="The last event on the article's timeline.")

    class Meta:
        model = FlowStep
        fields = ["article_id", "title", "revision", "step", "waiting_for", "due_at", "last_event"]

    def get_waiting_for(self, step: FlowStep) -> str:
        return AWAITED[step.step]

    @extend_schema_field(LastEventSerializer(allow_null=True))
    def get_last_event(self, step: FlowStep) -> dict | None:
        if step.last_event_type is None:
            return None
        return LastEventSerializer({"type": step.last_event_type, "time": step.last_event_time}).data


@extend_schema(responses={200: StuckFlowOutputSerializer(many=True)},
               description="Editors only (staff; anyone else gets 403): the steps of articles' flows that did not "
                           "happen in time and are still owed, the longest overdue first. A step leaves the list "
                           "as soon as its event arrives, however late.")
class StuckFlowsApi(generics.ListAPIView):
    serializer_class = StuckFlowOutputSerializer
    permission_classes = [IsAdminUser]
    filterset_class = StuckFlowFilter

    def get_queryset(self):
        return flow_steps_stuck()
