"""The search_indexer service: a Django project of its own that talks to the others only through RabbitMQ."""
