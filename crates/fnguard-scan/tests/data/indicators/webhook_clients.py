# A chat client library: endpoints are templates, no id or token is shipped.
DISCORD_WEBHOOK = "https://discord.com/api/webhooks/{webhook_id}/{webhook_token}"
TELEGRAM_API = "https://api.telegram.org/bot{token}/{method}"
UPLOAD_SCRIPT = "scripts/file-transfer.sh"
