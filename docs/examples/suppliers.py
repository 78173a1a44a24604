from secu_marketplace.models import Supplier

coffee = Supplier.objects.create(
    name="Musterhändler Kaffee & Tee",
    contract_id="GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7",  # the supplier's secuconnect contract
    email="orders@kaffee.example",  # optional
    fee_rate=250,  # the marketplace's fee: 2.5 % of the supplier's sub-basket...
    fee_fixed=30,  # ...plus 0.30 EUR (minor units)
)
furniture = Supplier.objects.create(
    name="Musterhändler Einrichtung", contract_id="GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30"
)
