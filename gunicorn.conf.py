# Read by gunicorn from the directory it starts in (the Procfile's web process).
logger_class = "clinic.access_log.PrivateLinksMasked"
