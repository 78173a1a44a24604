"""The flows: each module holds one, views and admin actions call them."""
