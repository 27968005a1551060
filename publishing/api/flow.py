"""The author's timeline drawn (publishing.flow_view): `GET /api/articles/<id>/timeline.svg`.

A path of its own rather than a second content type of `…/timeline/`: that one stays JSON, paged, for any
Accept header, and each operation of the schema documents one body. Errors are JSON, like every other answer.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import AutoSchema
from publishing.api.views import READ_ERRORS, _visible
from publishing.flow_steps import author_flow_svg
from publishing.selectors import timeline_for

SVG = "image/svg+xml"


class SvgRenderer(BaseRenderer):
    media_type = SVG
    format = "svg"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data.encode() if isinstance(data, str) else b""


class DrawingFirst(BaseContentNegotiation):
    """The drawing is SVG whatever the Accept header asks (no 406): what else it could be is `…/timeline/`."""

    def select_renderer(self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None):
        return renderers[0], renderers[0].media_type


class DrawingSchema(AutoSchema):
    """A 2xx answer is the drawing; every error is JSON, as the view renders it."""

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if media_types is None:
            media_types = [SVG] if str(status_code).startswith("2") else ["application/json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


class ArticleTimelineSvgApi(APIView):
    # Only the drawing is negotiated (so the schema has no `format` to choose); errors are JSON all the same.
    renderer_classes = [SvgRenderer]
    content_negotiation_class = DrawingFirst
    schema = DrawingSchema()

    @extend_schema(
        operation_id="articles_timeline_svg",
        responses={200: OpenApiResponse(OpenApiTypes.STR, description="An SVG document."), **READ_ERRORS},
        description="The article's timeline drawn as a sequence across the four services: one lane per service, "
                    "an arrow from each event to the one it caused with the time in between, failed and repeated "
                    "notifications and late arrivals (retries, replays) marked. It shows what the JSON timeline "
                    "shows an author, and no ids.")
    def get(self, request: Request, pk: str) -> Response:
        article = _visible(request, pk)
        return Response(author_flow_svg(timeline_for(article=article), heading=f"Flow of {article.title}"))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # An error (or anything but the drawing) is JSON, as the schema says.
        if isinstance(response, Response) and not isinstance(response.data, str):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
