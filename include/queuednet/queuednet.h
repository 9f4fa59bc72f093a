/// @file
/// Public header. Everything queuednet offers, in one include.
#pragma once

#include "queuednet/backend_kind.h"
#include "queuednet/connection.h"
#include "queuednet/connection_listener.h"
#include "queuednet/connection_manager.h"
#include "queuednet/connection_reader.h"
#include "queuednet/connection_writer.h"
#include "queuednet/datagram.h"
#include "queuednet/datagram_iterator.h"
#include "queuednet/error.h"
#include "queuednet/net_address.h"
#include "queuednet/net_datagram.h"
#include "queuednet/network_interface.h"
#include "queuednet/queued_connection_listener.h"
#include "queuednet/queued_connection_manager.h"
#include "queuednet/queued_connection_reader.h"
#include "queuednet/statistics.h"
