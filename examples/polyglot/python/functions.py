"""The Python side of the polyglot shop, written with the official StateFun Python SDK.

shop/inventory/{item} keeps the stock of one item and answers its caller whether the
units asked for are reserved, at what unit price, and how many are left.
"""

from statefun import Context, IntType, Message, StatefulFunctions, ValueSpec, make_json_type, message_builder

functions = StatefulFunctions()

# JSON message types, under the same type names as in functions.ts and shipping.go.
RESERVE_TYPE = make_json_type(typename="shop/Reserve")
RESERVATION_TYPE = make_json_type(typename="shop/Reservation")

# item: (unit price in cents, units in stock when the shop opens)
CATALOG = {"socks": (450, 100), "umbrella": (1250, 20), "hat": (1900, 5)}


@functions.bind(typename="shop/inventory", specs=[ValueSpec(name="stock", type=IntType)])
def inventory(context: Context, message: Message):
    request = message.as_type(RESERVE_TYPE)
    item, quantity = context.address.id, request["quantity"]
    if item not in CATALOG:
        answer = {"item": item, "reserved": False, "unitCents": 0, "left": 0, "reason": f"there is no {item} in the catalog"}
    elif not isinstance(quantity, int) or quantity < 1:
        answer = {"item": item, "reserved": False, "unitCents": 0, "left": 0, "reason": "quantity: a positive integer is required"}
    else:
        unit_cents, opening_stock = CATALOG[item]
        stock = context.storage.stock if context.storage.stock is not None else opening_stock
        reserved = quantity <= stock
        if reserved:
            stock -= quantity
            context.storage.stock = stock
        answer = {"item": item, "reserved": reserved, "unitCents": unit_cents, "left": stock}
        if not reserved:
            answer["reason"] = f"only {stock} {item} left"
    if context.caller is not None:
        context.send(
            message_builder(
                target_typename=context.caller.typename,
                target_id=context.caller.id,
                value=answer,
                value_type=RESERVATION_TYPE,
            )
        )
