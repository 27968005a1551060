"""The authors' REST API: thin views that validate, call one service and render."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from publishing.models import Article
from publishing.selectors import article_list_for
from publishing.services import TransitionNotAllowed, article_create, article_submit


class ArticleOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "status", "revision", "title", "summary", "body", "tags", "created_at", "updated_at"]


class ArticleInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=200_000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, required=False, default=list
    )


class ArticleListCreateApi(generics.ListAPIView):
    serializer_class = ArticleOutputSerializer

    def get_queryset(self):
        return article_list_for(user=self.request.user)

    def post(self, request: Request) -> Response:
        author = getattr(request.user, "author", None)
        if author is None:
            raise PermissionDenied("only authors can write articles")
        data = ArticleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_create(author=author, **data.validated_data)
        return Response(ArticleOutputSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetailApi(generics.RetrieveAPIView):
    serializer_class = ArticleOutputSerializer

    def get_queryset(self):
        return article_list_for(user=self.request.user)


class ArticleSubmitApi(APIView):
    serializer_class = ArticleOutputSerializer

    def post(self, request: Request, pk: str) -> Response:
        article = get_object_or_404(article_list_for(user=request.user), pk=pk)
        try:
            article = article_submit(article=article)
        except TransitionNotAllowed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ArticleOutputSerializer(article).data)
