-- Run once by the postgres image's /docker-entrypoint-initdb.d, on an empty data volume only
-- (`docker compose down -v` to start over). One database per service: the services share no
-- tables; each reaches its own through <SERVICE>_DATABASE_URL or DATABASE_HOST_URL/<service>.
CREATE DATABASE publishing;
CREATE DATABASE moderation;
CREATE DATABASE notifications;
CREATE DATABASE search_indexer;
