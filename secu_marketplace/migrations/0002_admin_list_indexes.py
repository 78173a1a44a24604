# The admin's order list filters by status and payment method, newest first: one index each,
# in the list's order, in place of the single-column ones (issue 10, "Admin at scale").

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("secu_marketplace", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="payment_method",
            field=models.CharField(blank=True, max_length=20, verbose_name="payment method"),
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "new"),
                    ("awaiting_payment", "at checkout"),
                    ("authorized", "authorised"),
                    ("pending", "transfer or check pending"),
                    ("paid", "paid"),
                    ("shipped", "shipped"),
                    ("refunded", "refunded"),
                    ("failed", "payment failed"),
                    ("aborted", "payment aborted"),
                    ("cancelled", "cancelled"),
                    ("needs_review", "needs review"),
                ],
                default="new",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status", "-created", "-id"], name="secu_order_status_list"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["payment_method", "-created", "-id"], name="secu_order_method_list"
            ),
        ),
    ]
