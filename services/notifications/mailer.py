"""Sending email over SMTP (a Nameko dependency configured by SMTP_HOST, SMTP_PORT, SMTP_SENDER)."""
import smtplib
from email.message import EmailMessage

from nameko.extensions import DependencyProvider


class Mailer:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, to: str, subject: str, body: str, language: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Content-Language"] = language
        message.set_content(body)  # UTF-8: Arabic, Cyrillic and Turkish letters arrive as written
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class SmtpMailer(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.mailer = Mailer(config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_SENDER"])

    def get_dependency(self, worker_ctx):
        return self.mailer
