#!/usr/bin/env bash
# Create the database and a project user with rights on it and on the test database (idempotent).
set -euo pipefail
DB_NAME=${DB_NAME:-animesite}
DB_USER=${DB_USER:-animesite}
DB_PASSWORD=${DB_PASSWORD:-animesite}
mysql --protocol=tcp -h127.0.0.1 -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${DB_NAME}\`.* TO '${DB_USER}'@'localhost', '${DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test_${DB_NAME}\`.* TO '${DB_USER}'@'localhost', '${DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test_${DB_NAME}_%\`.* TO '${DB_USER}'@'localhost', '${DB_USER}'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
echo "  database ${DB_NAME} and user ${DB_USER}: ready"
